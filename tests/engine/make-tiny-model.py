#!/usr/bin/env python3
"""Makes the tiny random-weight llama model the engine tests run llama-server with, or reuses it.

Usage: make-tiny-model.py <engine-folder>   (the folder build-llama-server.sh caches: gguf-py/, ggml-vocab-llama-spm.gguf)

Writes <engine-folder>/tiny-llama.gguf and <engine-folder>/tiny-llama.model (or reuses each that is there), and prints
the .model's path, then the gguf's on the last line. The model: llama architecture, 2 layers,
embedding 64, 4 heads, feed-forward 128, the tokenizer copied from ggml-vocab-llama-spm.gguf, random f32 weights from
a fixed seed, and a Llama-2 [INST] chat template (a ChatML template breaks grammar-constrained sampling with this
vocabulary). Random weights never emit EOS: answers end at the output limit. Needs numpy (Debian's python3-numpy) and
the tree's own gguf-py, which is put on the path here.

tiny-llama.model is the same vocabulary as a SentencePiece model (the protobuf ModelProto a Llama tokenizer.model
holds: every piece with its score and type, a BPE model with byte fallback, the unknown/BOS/EOS ids of the gguf, a
dummy prefix and escaped white space with no other normalisation), written field by field here so that no protobuf
package is needed; the same vocabulary always gives the same bytes. The tokenizer tests load it with
Microsoft.ML.Tokenizers (eng/test.sh exports its path as HYBRID_TINY_TOKENIZER).
"""
import os
import struct
import sys

MODEL_FILE = "tiny-llama.gguf"
TOKENIZER_FILE = "tiny-llama.model"
SEED = 15
LAYERS = 2
EMBEDDING = 64
HEADS = 4
FEED_FORWARD = 128
CONTEXT = 8192
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set messages = messages[1:] %}"
    "{% else %}{% set system = '' %}{% endif %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}"
    "{% if loop.first and system != '' %}{{ bos_token + '[INST] <<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message['content'] + ' [/INST]' }}"
    "{% else %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}"
    "{% endfor %}"
)


def field_value(reader, name):
    field = reader.fields[name]
    return field.contents()


def varint(value):
    """A protobuf varint; a negative int32 is sent as its 64-bit two's complement, as protobuf does."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, value):
    return varint((number << 3) | 2) + varint(len(value)) + value


def field_float(number, value):
    return varint((number << 3) | 5) + struct.pack("<f", value)


def write_sentencepiece_model(path, vocab):
    """Writes the gguf vocabulary as a SentencePiece ModelProto (sentencepiece_model.proto's field numbers)."""
    tokens = field_value(vocab, "tokenizer.ggml.tokens")
    scores = field_value(vocab, "tokenizer.ggml.scores")
    types = field_value(vocab, "tokenizer.ggml.token_type")
    model = bytearray()
    for piece, score, kind in zip(tokens, scores, types):
        # SentencePiece's piece types have the gguf's numbers: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
        model += field_bytes(1, field_bytes(1, piece.encode("utf-8")) + field_float(2, float(score)) + field_varint(3, int(kind)))
    trainer = (
        field_varint(3, 2)  # model_type: BPE
        + field_varint(4, len(tokens))  # vocab_size
        + field_varint(35, 1)  # byte_fallback
        + field_varint(40, int(field_value(vocab, "tokenizer.ggml.unknown_token_id")))  # unk_id
        + field_varint(41, int(field_value(vocab, "tokenizer.ggml.bos_token_id")))  # bos_id
        + field_varint(42, int(field_value(vocab, "tokenizer.ggml.eos_token_id")))  # eos_id
        + field_varint(43, -1)  # pad_id: none
    )
    model += field_bytes(2, trainer)
    normalizer = (
        field_bytes(1, b"identity")  # name
        + field_varint(3, 1)  # add_dummy_prefix
        + field_varint(4, 0)  # remove_extra_whitespaces: no
        + field_varint(5, 1)  # escape_whitespaces
    )
    model += field_bytes(3, normalizer)
    partial = path + ".partial"
    with open(partial, "wb") as out:
        out.write(model)
    os.replace(partial, path)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    folder = sys.argv[1]
    target = os.path.join(folder, MODEL_FILE)
    tokenizer = os.path.join(folder, TOKENIZER_FILE)
    if os.path.isfile(target) and os.path.isfile(tokenizer):
        print(tokenizer)
        print(target)
        return 0

    sys.path.insert(0, os.path.join(folder, "gguf-py"))
    import gguf

    vocab = gguf.GGUFReader(os.path.join(folder, "ggml-vocab-llama-spm.gguf"))
    if not os.path.isfile(tokenizer):
        write_sentencepiece_model(tokenizer, vocab)
    print(tokenizer)
    if os.path.isfile(target):
        print(target)
        return 0

    import numpy as np

    tokens = field_value(vocab, "tokenizer.ggml.tokens")
    scores = field_value(vocab, "tokenizer.ggml.scores")
    types = field_value(vocab, "tokenizer.ggml.token_type")
    vocab_size = len(tokens)

    partial = target + ".partial"
    writer = gguf.GGUFWriter(partial, "llama")
    writer.add_name("hybridinference-tiny-llama")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBEDDING)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(EMBEDDING // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(vocab_size)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(field_value(vocab, "tokenizer.ggml.bos_token_id"))
    writer.add_eos_token_id(field_value(vocab, "tokenizer.ggml.eos_token_id"))
    writer.add_unk_token_id(field_value(vocab, "tokenizer.ggml.unknown_token_id"))
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    rng = np.random.default_rng(SEED)

    def weight(name, *shape):
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    weight("token_embd.weight", vocab_size, EMBEDDING)
    writer.add_tensor("output_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
    weight("output.weight", vocab_size, EMBEDDING)
    for layer in range(LAYERS):
        prefix = f"blk.{layer}."
        writer.add_tensor(prefix + "attn_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
        weight(prefix + "attn_q.weight", EMBEDDING, EMBEDDING)
        weight(prefix + "attn_k.weight", EMBEDDING, EMBEDDING)
        weight(prefix + "attn_v.weight", EMBEDDING, EMBEDDING)
        weight(prefix + "attn_output.weight", EMBEDDING, EMBEDDING)
        writer.add_tensor(prefix + "ffn_norm.weight", np.ones(EMBEDDING, dtype=np.float32))
        weight(prefix + "ffn_gate.weight", FEED_FORWARD, EMBEDDING)
        weight(prefix + "ffn_up.weight", FEED_FORWARD, EMBEDDING)
        weight(prefix + "ffn_down.weight", EMBEDDING, FEED_FORWARD)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(partial, target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
