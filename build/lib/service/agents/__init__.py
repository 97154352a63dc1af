"""The AI spend agent: triage -> data -> optimization -> report.

The service calls `run_agent` with a `UsageSource` for the person asking and a `Reasoner`
(`DeterministicReasoner` unless an LLM provider is configured), and turns each step it yields
into an event of the chat.v1 contract.
"""
