"""Pure image functions on numpy BGR uint8 arrays (as cv2.imread returns)."""
