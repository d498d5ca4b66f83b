"""twistd drop-ins for txkv's embedded servers (implementations live in ``txkv.tap``)."""

from twisted.application.service import ServiceMaker

txkv_all = ServiceMaker("txkv", "txkv.tap.serve", "Every txkv embedded server", "txkv")
txkv_ignite = ServiceMaker(
    "txkv-ignite", "txkv.tap.ignite", "Embedded Apache Ignite thin-client server", "txkv-ignite"
)
txkv_kt = ServiceMaker("txkv-kt", "txkv.tap.kt", "Embedded Kyoto Tycoon server", "txkv-kt")
txkv_tt = ServiceMaker("txkv-tt", "txkv.tap.tt", "Embedded Tokyo Tyrant server", "txkv-tt")
