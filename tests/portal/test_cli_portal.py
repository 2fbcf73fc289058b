"""`liasse portal [--port N]` serves `create_app` over the CLI's Services with uvicorn;
`uvicorn portal.app:app` (what `liasse serve` runs) builds the app from the environment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI


def test_liasse_portal_serves_the_app_on_the_given_port(cli, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
                                                        ) -> None:
    import uvicorn

    served: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        served.update(app=app, **options)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = cli("portal", "--port", "18765")
    assert result.exit_code == 0, result.output
    assert "Portail : http://127.0.0.1:18765/" in result.text
    assert isinstance(served["app"], FastAPI)
    assert (served["host"], served["port"]) == ("127.0.0.1", 18765)
    assert served["app"].state.portal.services.actor == "portal"
    assert served["app"].openapi_url == "/api/openapi.json"


def test_the_module_attribute_app_is_built_on_access(cli, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
                                                     ) -> None:
    import portal.app as module

    assert "app" not in vars(module)  # nothing built at import
    first, second = module.app, module.app
    assert isinstance(first, FastAPI) and first is not second  # no module-level cache
    with pytest.raises(AttributeError):
        _ = module.nothing_here
