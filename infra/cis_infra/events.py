"""The domain events bus: only functions the topology marks `publishes_events` may put events on it."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from cis.topology import FUNCTIONS
from constructs import Construct

# The setting `cis.config` reads the bus name from.
BUS_NAME_VARIABLE = "EVENT_BUS_NAME"


class DomainEvents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: Mapping[str, lambda_.Function]) -> None:
        super().__init__(scope, construct_id)

        # CDK names the bus after its construct path; the stack exports the name (EventBusName).
        self.bus = events.EventBus(self, "Bus", description="CIS domain events, one per committed change")
        for spec in FUNCTIONS:
            if spec.publishes_events:
                function = functions[spec.name]
                self.bus.grant_put_events_to(function)
                function.add_environment(BUS_NAME_VARIABLE, self.bus.event_bus_name)
