"""The provincial register (名单库): every unit on the provincial green manufacturing list, and its status."""
