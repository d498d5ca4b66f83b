"""twistd plugin implementations: one module per embedded server (``txkv.tap.<name>``).

The drop-ins in ``twisted/plugins/txkv_plugins.py`` name these modules; each exposes ``Options``
(a ``twisted.python.usage.Options``) and ``makeService(options) -> IService``, imported only when
the subcommand runs.
"""
