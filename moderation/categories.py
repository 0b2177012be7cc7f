"""The moderation taxonomy, defined once: eight policy categories (a text or video that fits none
is "OK"), their short names, and the definitions the community guidelines state. Plain data, so
the training scripts can import it without Django."""

CATEGORIES = ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"]

CATEGORY_NAMES = {
    "S": "sexual",
    "H": "hate",
    "V": "violence",
    "HR": "harassment",
    "SH": "self-harm",
    "S3": "sexual/minors",
    "H2": "hate/threatening",
    "V2": "violence/graphic",
}

DEFINITIONS = {
    "S": "Sexual: content meant to arouse sexual excitement, such as the description of sexual activity, "
    "or that promotes sexual services (excluding sex education and wellness).",
    "H": "Hate: content that expresses, incites, or promotes hate based on race, gender, ethnicity, religion, "
    "nationality, sexual orientation, disability status, or caste.",
    "V": "Violence: content that promotes or glorifies violence or celebrates the suffering or humiliation of others.",
    "HR": "Harassment: content that may be used to torment or annoy individuals in real life, or make "
    "harassment more likely to occur.",
    "SH": "Self-harm: content that promotes, encourages, or depicts acts of self-harm, such as suicide, "
    "cutting, and eating disorders.",
    "S3": "Sexual/minors: sexual content that includes an individual who is under 18 years old.",
    "H2": "Hate/threatening: hateful content that also includes violence or serious harm towards the targeted group.",
    "V2": "Violence/graphic: violent content that depicts death, violence, or serious physical injury in "
    "extreme graphic detail.",
}
