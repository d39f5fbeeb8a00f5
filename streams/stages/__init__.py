"""The stages' logic: one module per stage, each a handler over ``StageServices`` (no Faust, no broker).

``streams.agents`` wires the app's topics to these handlers.
"""
