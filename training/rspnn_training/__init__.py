"""rspnn's training-side helpers: numpy only (no PyTorch), so CI can test the exporter.

* `quant`: our integer weight formats (block scales, int4/int8 codes, embedding range).
* `modelfile`: the float weights of a model (shapes, .npz checkpoints).
* `seai`: writes the seed "SEAI v5" layout that `rspnn convert` imports.
* `rspw_read`: reads an RSPW file back (to check what the converter produced).
* `reference`: the float32 forward pass in numpy (the architecture, no quantisation).
"""
