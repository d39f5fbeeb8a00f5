"""The Faust app's Kafka transport: Faust's own (aiokafka), with the consumer's fetch wait from the settings.

Faust fixes its consumer's ``fetch_max_wait_ms`` at 1500. A broker that answers a waiting fetch only when
that time is up, as the embedded Tansu does, then adds on average half of it to every hop between two
stages (measured: 750 ms at 1500, 14 ms at 20); Apache Kafka answers as soon as data arrives, so there a
short wait costs only fetch requests while the topics are idle. The app names this transport by its URL
scheme (``SCHEME://host:port``), registered with Faust's transports when this module is imported.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.config import get_settings

SCHEME = "modstream-kafka"


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka keeps the value until start() builds the fetcher with it
        consumer._fetch_max_wait_ms = get_settings().kafka().fetch_max_wait_ms
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
