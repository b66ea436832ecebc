"""Notes: reading them (``parse``), writing single values back (``write``), one note's update (``store``)."""
