"""The French beside each English text: written through the admin API, stored, and read back
by the public reads (summary_fr, description_fr, note_fr); and the framework's reference data
read in French."""

from tests.candidates.test_api import candidate, milestone, step


def test_candidate_summary_and_status_note_in_french_round_trip(client, admin_headers):
    created = client.post("/api/v1/candidates", headers=admin_headers, json=candidate(
        summary="Aspirant.", summary_fr="État aspirant.", note="First status.",
        note_fr="Premier statut."))
    assert created.status_code == 201, created.text
    read = client.get("/api/v1/candidates/moldova").json()
    assert created.json() == read
    assert (read["summary"], read["summary_fr"]) == ("Aspirant.", "État aspirant.")
    assert (read["history"][0]["note"], read["history"][0]["note_fr"]) == (
        "First status.", "Premier statut.")

    edited = client.patch("/api/v1/candidates/moldova", headers=admin_headers, json={
        "summary_fr": "Candidat.", "phase": "accession_talks", "note": "Talks open.",
        "note_fr": "Pourparlers ouverts."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/candidates/moldova").json()
    assert (read["summary"], read["summary_fr"]) == ("Aspirant.", "Candidat.")
    assert read["history"][-1]["note_fr"] == "Pourparlers ouverts."


def test_french_note_alone_needs_a_change_of_tier_or_phase(client, admin_headers):
    response = client.patch("/api/v1/candidates/georgia", headers=admin_headers,
                            json={"note_fr": "pourquoi"})
    assert response.status_code == 422
    assert "note_fr" in response.text


def test_null_french_text_is_refused(client, admin_headers):
    response = client.patch("/api/v1/candidates/georgia", headers=admin_headers,
                            json={"summary_fr": None})
    assert response.status_code == 422


def test_category_description_in_french_round_trips(client, admin_headers):
    created = client.post("/api/v1/categories", headers=admin_headers, json={
        "key": "cyber", "title": "Cyber", "title_fr": "Cyber", "description": "Cyber defence.",
        "description_fr": "Cyberdéfense."})
    assert created.status_code == 201, created.text
    assert client.get("/api/v1/categories/cyber").json()["description_fr"] == "Cyberdéfense."
    edited = client.patch("/api/v1/categories/cyber", headers=admin_headers,
                          json={"description_fr": "La cyberdéfense."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/categories/cyber").json()
    assert (read["description"], read["description_fr"]) == ("Cyber defence.",
                                                              "La cyberdéfense.")


def test_benchmark_and_indicator_descriptions_in_french_round_trip(client, admin_headers):
    created = client.post("/api/v1/benchmarks", headers=admin_headers, json=milestone(
        description="A cyber strategy.", description_fr="Une stratégie cyber."))
    assert created.status_code == 201, created.text
    assert created.json()["description_fr"] == "Une stratégie cyber."
    assert client.get("/api/v1/benchmarks/cyber_strategy").json()["description_fr"] == (
        "Une stratégie cyber.")
    assert client.get("/api/v1/indicators/cyber_strategy").json()["description_fr"] == (
        "Une stratégie cyber.")

    edited = client.patch("/api/v1/benchmarks/cyber_strategy", headers=admin_headers,
                          json={"description_fr": "La stratégie nationale cyber."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/benchmarks/cyber_strategy").json()
    assert (read["description"], read["description_fr"]) == (
        "A cyber strategy.", "La stratégie nationale cyber.")
    applied = client.get("/api/v1/candidates/finland/benchmarks").json()["items"]
    assert next(b for b in applied if b["key"] == "cyber_strategy")["description_fr"] == (
        "La stratégie nationale cyber.")


def test_ratification_step_note_in_french_round_trips(client, analyst_headers):
    response = client.post("/api/v1/candidates/georgia/ratifications/DEU/steps",
                           headers=analyst_headers,
                           json=step(note="second reading", note_fr="deuxième lecture"))
    assert response.status_code == 201, response.text
    items = client.get("/api/v1/candidates/georgia/ratifications",
                       params={"limit": 500}).json()["items"]
    deu = next(r for r in items if r["member"]["iso3"] == "DEU")
    assert [(s["note"], s["note_fr"]) for s in deu["steps"]] == [("second reading",
                                                                 "deuxième lecture")]


def test_framework_reads_give_the_french_of_the_reference_data(client):
    framework = client.get("/api/v1/framework").json()
    for tier in framework["tiers"]:
        assert tier["description_fr"] and tier["description_fr"] != tier["description"]
    for model in framework["models"]:
        for field in ("description", "speed_of_integration", "risk_exposure", "reform_depth",
                      "resource_allocation"):
            assert model[f"{field}_fr"] and model[f"{field}_fr"] != model[field]
    for category in framework["categories"]:
        assert category["description_fr"]
    for benchmark in framework["benchmarks"]:
        assert benchmark["description_fr"]
    ukraine = client.get("/api/v1/candidates/ukraine").json()
    assert ukraine["summary_fr"].startswith("État aspirant.")
    assert all(change["note_fr"] for change in ukraine["history"])
