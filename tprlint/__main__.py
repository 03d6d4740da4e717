from tprlint.cli import entrypoint

entrypoint()
