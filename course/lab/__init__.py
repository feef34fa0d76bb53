"""Lesson 14's experiment lab: networks at one parameter budget, metrics by hand, training, the widget app."""
