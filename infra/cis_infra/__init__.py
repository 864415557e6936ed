"""The CDK app for the CIS: one stack, built from the topology in `cis.topology`."""
