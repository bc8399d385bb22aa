"""Internal customers' satisfaction: ratings at the moment of decision, the quarterly survey
and the satisfaction index (CSI) of each providing department."""
