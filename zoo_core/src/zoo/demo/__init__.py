"""``zoo demo``: a local web app (Gradio) over every installed model, and its export as a Hugging Face Space.

Gradio is an optional extra (``pip install 'gan-zoo[demo]'``): nothing here imports it at module level
except ``zoo.demo.app``, which only ``zoo demo`` and an exported Space's ``app.py`` import.
"""
