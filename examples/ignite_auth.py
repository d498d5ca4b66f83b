"""Password authentication (pyignite docs 3.7).

The embedded server requires ``ignite``/``ignite``.  Over a plain connection credentials can be
read by anyone on the path: pass ``use_ssl=False`` to say so explicitly, or use TLS (see
``ignite_tls.py``).

``python examples/ignite_auth.py`` (starts an embedded server on a free port).
"""

from __future__ import annotations

from typing import Any

from _ignite_support import run

from txkv.errors import AuthenticationError, HandshakeError
from txkv.ignite import Client
from txkv.ignite.server import start_server


async def main(reactor: Any) -> None:
    # [server]
    server = await start_server(reactor, port=0, auth=('ignite', 'ignite'))
    # [/server]
    host, port = server.addresses[0]
    try:
        # [client]
        client = Client(username='ignite', password='ignite', use_ssl=False)
        await client.connect(host, port)
        # [/client]
        try:
            print('cache names:', await client.get_cache_names())  # cache names: []
        finally:
            await client.close()

        # [refused]
        for username, password in [(None, None), ('ignite', 'wrong')]:
            intruder = Client(username=username, password=password, use_ssl=False)
            try:
                await intruder.connect(host, port)
                await intruder.get_cache_names()
            except (AuthenticationError, HandshakeError) as e:
                print(f'{type(e).__name__}: {e}')
            finally:
                await intruder.close()
        # [/refused]
    finally:
        await server.stop()


if __name__ == '__main__':
    run(main)
