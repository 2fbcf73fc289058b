"""signing: PDF signatures and seals (pyHanko), signing sessions, PKI, validation.

cryptography 51 warns on *import* of its DSA key types, which pyHanko imports to recognise
every key kind; Liasse never creates or accepts a DSA key. Left alone, that warning lands on
stderr of every CLI command and flow run that touches a signature, before the one clear error
line. Silenced here, narrowly (this message, this module), before any pyHanko import.
"""

import warnings

warnings.filterwarnings(
    "ignore", message="DSA is deprecated", module=r"pyhanko\.sign\.signers\.pdf_cms"
)
