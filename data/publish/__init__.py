"""The public disclosure (一公开) of a quarter's filed plan: what it is read from, what it
holds, and the HTML page and CSV files it is written as.

Privacy is by construction: the types in ``content`` have no field for an officer, an
inspection code, a demand or trigger id, a complaint's detail, a score or an enterprise's
grade, so nothing private can reach a page or a file made from them. The reader in
``gather`` uses codes to join outcomes to their checks and drops them there.
"""
