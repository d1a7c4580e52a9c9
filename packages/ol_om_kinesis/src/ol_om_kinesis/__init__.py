"""ol-om-kinesis: OpenLineage events from Amazon Kinesis, checkpointed only once OpenMetadata has them.

``KinesisSource`` is registered as ``kinesis`` in the ``ol_om.sources`` entry-point group; its settings mirror
OpenMetadata's ``KinesisBrokerConfig``. ``ol_om_kinesis.lambda_handler.handler`` serves a Lambda event-source
mapping instead; ``ol_om_kinesis.testing`` starts the Kinesis emulator.
"""

from ol_om_kinesis.config import AWSCredentials, KinesisBrokerConfig, KinesisSourceConfig
from ol_om_kinesis.source import KinesisSource

__all__ = ["AWSCredentials", "KinesisBrokerConfig", "KinesisSource", "KinesisSourceConfig"]
