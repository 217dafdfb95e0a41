"""Accession Tracker: aspirant states against tiered accession benchmarks."""
