"""The base of every model, and how a record read back from the table is validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo


class Model(BaseModel):
    """pydantic builds a model's validator and serializer when its class statement runs, unless told
    to wait for the first use (defer_build). A handler imports every model of the modules it uses; its
    cold start now builds only those its requests validate or serialize, the first time they do."""

    model_config = ConfigDict(defer_build=True)


def empty_list() -> list:
    """A field's `default_factory` for an empty list: `list` itself costs a cold start. pydantic reads
    a default factory's signature when it builds the model, and a builtin's (list's) is parsed from its
    text with `tokenize`, which compiles its regular expressions on the spot: 16 million instructions
    (about 4 ms) in the first request of a function whose first model has one; a function's is read
    from its code object."""
    return []


# The validation context of a record read back from the table (Model.model_validate(item, context=STORED)).
# It was validated, and normalized, by the model that wrote it: the checks that need a library's data
# (email syntax, phone numbering plans, country and currency codes) take it as stored, rather than
# load that library at a cold start only to find the value unchanged. Every other rule still applies.
STORED = {"read_back": True}


def read_back(info: ValidationInfo) -> bool:
    """Whether this value comes from the table (see STORED), not from a client."""
    return bool(info.context) and info.context.get("read_back", False)
