"""A faithful fake Chorus Pro (PISTE OAuth + `/cpro/` API) for tests and the demo.

`create_app(FakeChorus(...))` gives an ASGI app; `python -m connectors.chorus_pro.fake --port
8765` serves it. `serve_in_thread` runs it on a free local port for tests and benchmarks.
"""

from connectors.chorus_pro.fake.app import create_app
from connectors.chorus_pro.fake.server import ServerThread, serve_in_thread
from connectors.chorus_pro.fake.state import FakeChorus, FakeClock

__all__ = ["FakeChorus", "FakeClock", "ServerThread", "create_app", "serve_in_thread"]
