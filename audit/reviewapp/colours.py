"""The app's colours, the same on every page: one red / orange / grey scale for the severities (in order of alarm),
one colour per category, per speaker (as the dialogue's bubbles), and one for the customer's signals."""

SEVERITY_COLOURS = {"critical": "#c92a2a", "major": "#e8590c", "minor": "#868e96"}
DISMISSED_COLOUR = "#ced4da"
CATEGORY_COLOURS = {
    "violence_threat": "#c92a2a", "intimidation": "#e8590c", "impersonation": "#862e9c",
    "false_legal_threat": "#5f3dc4", "insult": "#d6336c", "third_party_disclosure": "#1971c2",
    "privacy_exposure": "#0c8599", "harassment": "#2b8a3e", "induce_borrowing": "#e67700",
    "unofficial_channel": "#5c940d", "third_party_collection": "#364fc7", "improper_conduct": "#495057",
}
SPEAKER_COLOURS = {"agent": "#1f6fb2", "customer": "#8a8a80", "unknown": "#c49000"}
SIGNAL_COLOUR = "#7048e8"
