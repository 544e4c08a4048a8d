"""/acquisitions and /acquisition: the sourced deal book, and share-price moves around deals.

The commands are bound here so that `Registry.add_module(acquisitions)` finds them in this
package's namespace, in the order help lists them; `deal_book` holds the data model and its
loading.
"""

from __future__ import annotations

from commands.acquisitions import deal_commands

acquisitions = deal_commands.acquisitions
acquisition = deal_commands.acquisition

__all__ = ["acquisition", "acquisitions"]
