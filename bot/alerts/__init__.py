"""Alert rules: the modal's layout and values, the rule model, the preview, and the Sentry calls
behind them.
"""
