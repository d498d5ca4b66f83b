"""SSL/TLS (pyignite docs 3.6): an embedded server on TLS, a client verifying it.

The script writes a throw-away CA, server and client certificate into a temporary directory.
The server requires client certificates signed by the CA; the client checks the server's
certificate against the CA (and the host name) by default.

``python examples/ignite_tls.py`` (starts an embedded TLS server on a free port).
"""

from __future__ import annotations

import tempfile
from typing import Any

from _ignite_support import make_certificates, run

from txkv.ignite import Client
from txkv.ignite.server import start_server
from txkv.tls import server_tls


async def main(reactor: Any) -> None:
    with tempfile.TemporaryDirectory() as directory:
        files = make_certificates(directory)
        # [server]
        tls = server_tls(files['server_cert'], files['server_key'], ca_file=files['ca'],
                         require_client_cert=True)
        server = await start_server(reactor, port=0, tls=tls)
        # [/server]
        host, port = server.addresses[0]
        try:
            # [client]
            client = Client(
                use_ssl=True,
                ssl_ca_certfile=files['ca'],     # the authority that signed the server
                ssl_certfile=files['client_cert'],  # identify the client...
                ssl_keyfile=files['client_key'],    # ...with its key pair
            )
            await client.connect(host, port)
            # [/client]
            try:
                cache = await client.get_or_create_cache('secure cache')
                await cache.put('secret', 'over TLS')
                print(await cache.get('secret'))  # over TLS
            finally:
                await client.close()

            # [no_client_cert]
            anonymous = Client(use_ssl=True, ssl_ca_certfile=files['ca'])
            try:
                await anonymous.connect(host, port)
                await anonymous.get_cache_names()
            except Exception as e:
                print('without a client certificate:', type(e).__name__)
            finally:
                await anonymous.close()
            # [/no_client_cert]
        finally:
            await server.stop()


if __name__ == '__main__':
    run(main)
