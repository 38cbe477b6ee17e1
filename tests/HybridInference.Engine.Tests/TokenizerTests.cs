using System.Net.Http.Json;
using System.Text.Json;
using HybridInference.Tokenizers.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The Llama SentencePiece model <c>tiny-llama.model</c> (<see cref="TinyTokenizer"/>), configured as the llama-server
/// backend's <c>Tokenizer</c> and loaded by <c>AddTokenizers()</c> with Microsoft.ML.Tokenizers, counts every text of
/// the token corpus (each message of a chat) as the real server does: its <c>/tokenize</c> with <c>add_special</c>,
/// as it tokenizes a prompt, gives the library's count of the text plus the one BOS token it adds.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TokenizerTests(EngineFixture engine, Xunit.Abstractions.ITestOutputHelper output) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    [Fact]
    public async Task SentencePieceModel_CountsEveryCorpusText_AsTheServerTokenizesIt()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:Backends:0:Tokenizer"] = TinyTokenizer.Path;
        await using var chain = EngineChain.Build(settings, builder => builder.AddTokenizers());
        Assert.True(chain.Services.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("llama", out var counter), "the llama backend has no exact counter");

        var corpus = Corpus.Load();
        Assert.True(corpus.Count >= 30, $"The corpus has {corpus.Count} texts; it should have at least 30.");
        var differences = new List<string>();
        int texts = 0, tokens = 0;
        foreach (var (name, _, messages) in corpus)
        {
            foreach (var text in messages.Select(m => m.Text))
            {
                // The text's own tokens: the prompt of it alone less the same prompt of an empty message (the chat format's overhead).
                var counted = counter.CountPromptTokens([new ChatMessage(ChatRole.User, text)], null) - counter.CountPromptTokens([new ChatMessage(ChatRole.User, string.Empty)], null);
                var (served, bos, pieces) = await TokenizeAsync(text);
                texts++;
                tokens += served;
                if (!bos || served != counted + 1)
                {
                    differences.Add($"{name}: the server has {served} tokens (BOS first: {bos}), the library {counted} + 1 BOS; the server's pieces: {pieces}");
                }
            }
        }

        output.WriteLine($"{texts} texts of {corpus.Count} corpus files, {tokens} tokens as the server counts them, {differences.Count} differing");
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    /// <summary>The server's tokens for a text, as it tokenizes a prompt (<c>add_special</c>: with BOS), with whether the first is BOS and the pieces.</summary>
    private async Task<(int Count, bool Bos, string Pieces)> TokenizeAsync(string text)
    {
        using var response = await ServerPages.Http.PostAsJsonAsync(new Uri(engine.Server.Root, "tokenize"), new { content = text, add_special = true, with_pieces = true });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tokens = body.RootElement.GetProperty("tokens");
        var pieces = string.Join(' ', tokens.EnumerateArray().Select(t => t.GetProperty("piece").ToString()));
        return (tokens.GetArrayLength(), tokens.GetArrayLength() > 0 && tokens[0].GetProperty("id").GetInt32() == 1, pieces);
    }
}
