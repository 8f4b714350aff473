"""Quality gates more than one task declares (torch-free). Every number is measured by ``i2i eval`` on data
the model never trained on."""

from i2i.tasks.registry import QualityGate

#: Output over input share of the spectrum's period-2 and period-4 peaks (the checkerboard of transposed
#: convolutions); 1 means the translation adds none.
CHECKERBOARD = QualityGate("checkerboard", "<=", 1.5)

#: Unpaired translators: KID of the translations to the real target images over KID of the untranslated
#: inputs to them, on held-back files (the table's ``held_out`` names them).
KID_RATIO = QualityGate("KID_ratio", "<=", 0.6, held_out=True)
