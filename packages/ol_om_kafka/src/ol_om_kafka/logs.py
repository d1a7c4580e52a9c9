"""librdkafka's own log lines through Python logging, once per message per interval.

Left alone, librdkafka writes straight to stderr, bypassing logging: against a broker that is down it repeats
"Connect to ... failed" every few milliseconds (~190 lines in one ``ol-om check``). Every client ol-om makes
(consumer, dead-letter producer, admin client) is given :data:`LIBRDKAFKA` as its ``logger``; its filter
(``ol_om_core.contract.logs.RepeatFilter``) lets a message through once per 30 s, then with the count held back.
"""

from __future__ import annotations

import logging

from ol_om_core.contract.logs import RepeatFilter

LIBRDKAFKA = logging.getLogger("ol_om_kafka.librdkafka")
"""The logger librdkafka's lines go to (as ``FAIL [rdkafka#consumer-1] ...``)."""
LIBRDKAFKA.addFilter(RepeatFilter())
