"""Text normalization: written Chinese news text → what a voice says (see ``normalizer`` for the readings).

    from reader.text.normalize import CHINESE_AND_LATIN, normalize
    normalize("GDP增长6.5%")                                # '国内生产总值增长百分之六点五' (offline Baker voice)
    normalize("GDP增长6.5%", abilities=CHINESE_AND_LATIN)   # 'GDP增长百分之六点五' (a voice that says Latin)

``Abilities`` states what a voice can say; its ``key`` names the spoken form for cache keys and manifests.
"""

from reader.text.normalize.abilities import CHINESE, CHINESE_AND_LATIN, Abilities
from reader.text.normalize.normalizer import is_speakable, normalize, unspeakable
from reader.text.normalize.tables import SPEAKABLE_PUNCTUATION

__all__ = [
    "CHINESE",
    "CHINESE_AND_LATIN",
    "SPEAKABLE_PUNCTUATION",
    "Abilities",
    "is_speakable",
    "normalize",
    "unspeakable",
]
