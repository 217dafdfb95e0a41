"""The yardstick: a bare FastAPI `async def` endpoint returning a small JSON, served by uvicorn
with the same settings as `accession serve`. Every figure of the benchmark is also given as a
ratio to this one, measured in the same run on the same machine."""

from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/bare")
async def bare() -> dict[str, object]:
    return {"status": "ok", "service": "bare", "items": [1, 2, 3]}
