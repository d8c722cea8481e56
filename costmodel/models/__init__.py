"""The models: memory, throughput (and its calibration), cost. Functions of typed inputs; they read
the store only through the catalog's typed look-ups.
"""
