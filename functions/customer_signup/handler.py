"""The customer pool's post-confirmation trigger: link the confirmed sign-in to its customer record.

Cognito calls it once a new customer has confirmed their email or phone, with the pool's verified
attributes; the event goes back to Cognito unchanged. A failure fails the confirmation, and the
customer's next confirmation attempt runs it again (linking is idempotent)."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import PostConfirmationTriggerEvent
from cis.repository.factory import customer_repository, duplicate_repository, dynamodb_client, login_repository
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.sign_ups import SignUps

logger, tracer = Logger(), Tracer(patch_modules=["botocore"])
client = dynamodb_client()
customers = CustomerService(customer_repository(client), DuplicateFinder(duplicate_repository(client), utcnow))
sign_ups = SignUps(login_repository(client), customers, utcnow)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # the event holds the customer's email and phone
@event_source(data_class=PostConfirmationTriggerEvent)
def handler(event: PostConfirmationTriggerEvent, context):
    if event.trigger_source != "PostConfirmation_ConfirmSignUp":
        return event.raw_event  # a confirmed password reset: nothing to link
    attributes = dict(event.request.user_attributes)  # the pool's own: `sub`, and whether each contact is verified
    customer_id = sign_ups.confirmed(attributes["sub"], attributes)
    logger.info("sign-in linked", extra={"customer_id": customer_id})
    return event.raw_event
