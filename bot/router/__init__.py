"""The question router: plain-words questions read as one of the bot's own commands.

`Router` (router.py) is generic: tokenizing, entity matching, scoring, candidates. What it can
recognise (`Vocabulary`) and which phrasing means which command (`Intent`) come from
commands/ at wiring time. `Asker` (ask.py) runs the routed command through `Core.dispatch`
and says how the question was read.
"""
