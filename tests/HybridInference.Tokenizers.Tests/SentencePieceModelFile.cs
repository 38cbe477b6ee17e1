using System.Text;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// Writes a tiny SentencePiece BPE model (the protobuf <c>ModelProto</c> a <c>.model</c> file holds) for tests: the
/// pieces &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, ▁, a, b, ab and ▁ab, a dummy prefix and escaped white space, as Llama's are.
/// </summary>
internal static class SentencePieceModelFile
{
    public static string Write()
    {
        var pieces = new (string Piece, float Score, int Type)[]
        {
            ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("\u2581", -1, 1), ("a", -2, 1), ("b", -3, 1), ("ab", -4, 1), ("\u2581ab", -5, 1),
        };
        var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            var body = new MemoryStream();
            Bytes(body, 1, Encoding.UTF8.GetBytes(piece));
            body.WriteByte((2 << 3) | 5); // score: fixed32 float
            body.Write(BitConverter.GetBytes(score));
            Varint(body, 3, (ulong)type);
            Bytes(model, 1, body.ToArray());
        }

        var trainer = new MemoryStream();
        Varint(trainer, 3, 2); // model_type: BPE
        Varint(trainer, 4, (ulong)pieces.Length); // vocab_size
        Bytes(model, 2, trainer.ToArray());

        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, "identity"u8.ToArray());
        Varint(normalizer, 3, 1); // add_dummy_prefix
        Varint(normalizer, 4, 0); // remove_extra_whitespaces
        Varint(normalizer, 5, 1); // escape_whitespaces
        Bytes(model, 3, normalizer.ToArray());

        var path = Path.Combine(Path.GetTempPath(), $"tokens16-{Guid.NewGuid():N}.model");
        File.WriteAllBytes(path, model.ToArray());
        return path;
    }

    private static void Bytes(Stream stream, int field, byte[] value)
    {
        WriteVarint(stream, (ulong)((field << 3) | 2));
        WriteVarint(stream, (ulong)value.Length);
        stream.Write(value);
    }

    private static void Varint(Stream stream, int field, ulong value)
    {
        WriteVarint(stream, (ulong)(field << 3));
        WriteVarint(stream, value);
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        for (; value >= 0x80; value >>= 7)
        {
            stream.WriteByte((byte)(value | 0x80));
        }

        stream.WriteByte((byte)value);
    }
}
