"""Block writes, as a transaction gets them: every one conditional on the block's version as read."""

from cis.domain.matching import Fingerprint
from cis.repository.duplicates import MAX_BLOCK_MEMBERS, Block, Filing, entry_of
from cis.repository.keys import block_key

ROBERT = Fingerprint(given="robert", family="miller", birthday="1980-05-17", emails=("bobmiller@gmail.com",))


def _seen(fingerprint: Fingerprint, version: int = 3, members: dict | None = None) -> dict[str, Block]:
    return {key: Block(key, version, dict(members or {})) for key in fingerprint.blocking_keys()}


def test_every_block_action_is_conditional_on_the_version_read():
    fresh = sorted(ROBERT.probe_keys())[0]  # a block no one has filed in yet
    filing = Filing(_seen(ROBERT) | {fresh: Block(fresh)}, "t")
    filing.file("01A", None, ROBERT, [])
    filing.check(ROBERT.probe_keys())
    actions = [action for _, action in filing.actions()]
    assert len(actions) == len(ROBERT.blocking_keys())  # one per block: DynamoDB takes one action per item
    for action in actions:
        [(kind, body)] = action.items()
        if (body.get("Key") or body["Item"])["PK"] == block_key(fresh)["PK"]:  # none yet: still none at commit
            assert (kind, body["ConditionExpression"]) == ("Put", "attribute_not_exists(PK)")
        else:
            assert body["ConditionExpression"] == "#version = :seen"
            assert body["ExpressionAttributeValues"][":seen"] == {"N": "3"}


def test_a_full_block_is_not_joined_but_a_probed_one_is_still_checked():
    crowd = {f"01B{index:023d}": entry_of(ROBERT, []) for index in range(MAX_BLOCK_MEMBERS)}
    filing = Filing(_seen(ROBERT, members=crowd), "t")
    filing.file("01A", None, ROBERT, [])
    filing.check(ROBERT.probe_keys())
    kinds = {action["ConditionCheck"]["Key"]["PK"]["S"] for _, action in filing.actions() if "ConditionCheck" in action}
    assert not filing.written and kinds == {block_key(key)["PK"]["S"] for key in ROBERT.probe_keys()}


def test_a_record_leaves_the_blocks_it_no_longer_has_and_its_entry_moves_in_the_ones_it_keeps():
    moved = Fingerprint(given="robert", family="miller", birthday="1980-05-17", emails=("rm@example.org",))
    seen = _seen(ROBERT, members={"01A": entry_of(ROBERT, [])}) | {
        key: Block(key, 1, {}) for key in moved.blocking_keys() - ROBERT.blocking_keys()
    }
    filing = Filing(seen, "t")
    filing.file("01A", ROBERT, moved, [])
    assert set(filing.removes) == ROBERT.blocking_keys() - moved.blocking_keys()
    assert set(filing.sets) == moved.blocking_keys()  # new entry everywhere it stays, and where it joins
    after = filing.after()
    assert all("01A" not in after[key].members for key in filing.removes)
    assert all(after[key].version == seen[key].version + 1 for key in filing.written)
