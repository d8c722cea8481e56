"""The outputs: tables for people (analysis), Altair charts, the report runner and the ``costmodel`` command.
"""
