"""The bottom layer: plain building blocks that import nothing of the project.

Everything else may import ``core``; ``core`` imports only the standard library
and kept third-party libraries (Babel). So far it holds the user-facing language
rules: :mod:`core.formatting` (money and dates, one rule each) and
:mod:`core.i18n` (the message catalogue, zh-CN and en).
"""
