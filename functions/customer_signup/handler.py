"""The customer pool's triggers that link a sign-in to its customer record.

Post confirmation: Cognito calls it once a new customer has confirmed their email or phone, with the
pool's verified attributes. A failure there shows the customer an error but leaves the account
confirmed, and Cognito never runs that trigger again; so post authentication runs it too, at every
sign-in: a sign-in already linked costs one read, one not yet linked is linked (linking is idempotent).
A sign-in is never refused for want of a link: the API answers that token 403 not_linked instead.
Either way the event goes back to Cognito unchanged."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes.cognito_user_pool_event import (
    PostAuthenticationTriggerEvent,
    PostConfirmationTriggerEvent,
)
from cis.errors import CisError
from cis.repository.factory import customer_repository, duplicate_repository, dynamodb_client, login_repository
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.sign_ups import SignUps

logger, tracer = Logger(), Tracer(patch_modules=["botocore"])
client = dynamodb_client()
customers = CustomerService(customer_repository(client), DuplicateFinder(duplicate_repository(client), utcnow))
sign_ups = SignUps(login_repository(client), customers, utcnow)

SIGN_UP, SIGN_IN = "PostConfirmation_ConfirmSignUp", "PostAuthentication_Authentication"
EVENTS = {SIGN_UP: PostConfirmationTriggerEvent, SIGN_IN: PostAuthenticationTriggerEvent}


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # the event holds the customer's email and phone
def handler(event: dict, context):
    source = event.get("triggerSource")
    if source not in EVENTS:
        return event  # a confirmed password reset: nothing to link
    # The pool's own attributes: `sub`, and whether each contact is verified.
    attributes = dict(EVENTS[source](event).request.user_attributes)
    try:
        customer_id = sign_ups.confirmed(attributes["sub"], attributes)
    except CisError as refused:  # e.g. no verified contact yet
        if source == SIGN_UP:
            raise
        logger.warning("sign-in not linked", extra={"reason": refused.code})
        return event
    logger.info("sign-in linked", extra={"customer_id": customer_id, "trigger": source})
    return event
