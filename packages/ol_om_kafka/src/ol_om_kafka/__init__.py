"""ol-om-kafka: OpenLineage events from Kafka, committed only once OpenMetadata has them.

``KafkaSource`` is registered as ``kafka`` in the ``ol_om.sources`` entry-point group; its settings mirror
OpenMetadata's ``KafkaBrokerConfig``. ``ol_om_kafka.testing`` starts a real Kafka-compatible broker (Tansu).
"""

from ol_om_kafka.config import KafkaBrokerConfig, KafkaSourceConfig
from ol_om_kafka.source import KafkaSource

__all__ = ["KafkaBrokerConfig", "KafkaSource", "KafkaSourceConfig"]
