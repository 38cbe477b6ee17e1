using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers.Tests;

public sealed class TokenizerCounterProviderTests
{
    private const string Sample = "Ünïcode, code() and 1234567 digits: 你好 🎉";

    [Theory]
    [InlineData("o200k_base", "o200k_base")]
    [InlineData("cl100k_base", "cl100k_base")]
    [InlineData("O200K_BASE", "o200k_base")]
    public void TryGetExactCounter_ConfiguredEncoding_CountsWithIt(string configured, string encoding)
    {
        using var provider = Build(local: new BackendOptions { Name = "vllm", Provider = "vllm", Tokenizer = configured });

        Assert.True(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("VLLM", out var counter));
        Assert.Equal(Expected(TiktokenTokenizer.CreateForEncoding(encoding)), counter.CountPromptTokens([new(ChatRole.User, Sample)], null));
    }

    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini", "o200k_base")]
    [InlineData("gpt-4.1", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    public void TryGetExactCounter_OpenAICloudModel_CountsWithItsEncoding(string model, string encoding)
    {
        using var provider = Build(cloud: new BackendOptions { Name = "openai", Provider = "openai", Model = model });

        Assert.True(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("openai", out var counter));
        Assert.Equal(Expected(TiktokenTokenizer.CreateForEncoding(encoding)), counter.CountPromptTokens([new(ChatRole.User, Sample)], null));
    }

    [Theory]
    [InlineData(BackendLane.Cloud, "claude-3-sonnet")] // not an OpenAI model
    [InlineData(BackendLane.Cloud, "text-davinci-003")] // p50k_base: its data is not in the package
    [InlineData(BackendLane.Cloud, null)]
    [InlineData(BackendLane.Local, "gpt-4o")] // a local model is never guessed from its name
    [InlineData(BackendLane.Local, "mistralai/Mistral-7B-Instruct-v0.2")]
    public void TryGetExactCounter_NoTokenizerKnown_HasNone(BackendLane lane, string? model)
    {
        var backend = new BackendOptions { Name = "b", Provider = lane == BackendLane.Local ? "vllm" : "openai", Model = model };
        using var provider = lane == BackendLane.Local ? Build(local: backend) : Build(cloud: backend);

        Assert.False(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("b", out var counter));
        Assert.Null(counter);
        Assert.False(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("no-such-backend", out _));
    }

    [Fact]
    public void TryGetExactCounter_TiktokenFile_LoadsIt()
    {
        // A vocabulary of the 256 bytes and one merge, "ab": "abab ab" is "ab", "ab", " ", "ab".
        var path = Path.Combine(Path.GetTempPath(), $"tokens16-{Guid.NewGuid():N}.tiktoken");
        var lines = Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}").Append($"{Convert.ToBase64String("ab"u8.ToArray())} 256");
        File.WriteAllLines(path, lines);
        try
        {
            using var provider = Build(local: new BackendOptions { Name = "local", Provider = "llamacpp", Tokenizer = path });

            Assert.True(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("local", out var counter));
            var user = 1 + 1 + 1 + 1; // u, s, e, r
            Assert.Equal(TokenizerTokenCounter.TokensPerPrompt + TokenizerTokenCounter.TokensPerMessage + user + 4, counter.CountPromptTokens([new(ChatRole.User, "abab ab")], null));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("ab ab", 2)] // ▁ab ▁ab
    [InlineData("abab", 2)] // ▁ab ab
    [InlineData("ba ba", 6)] // ▁ b a ▁ b a: no merge applies
    [InlineData("ab c", 3)] // ▁ab ▁ <unk>
    public void TryGetExactCounter_SentencePieceModel_LoadsIt(string text, int tokens)
    {
        var path = SentencePieceModelFile.Write();
        try
        {
            using var provider = Build(local: new BackendOptions { Name = "llama", Provider = "llamacpp", Tokenizer = path });

            Assert.True(provider.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("llama", out var counter));
            var role = ((TokenizerTokenCounter)counter).CountText("user");
            Assert.Equal(TokenizerTokenCounter.TokensPerPrompt + TokenizerTokenCounter.TokensPerMessage + role + tokens, counter.CountPromptTokens([new(ChatRole.User, text)], null));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("o100k_base")]
    [InlineData("gpt-4o")] // a model name is not an encoding name
    [InlineData("/no/such/dir/llama.model")]
    [InlineData("missing.tiktoken")]
    public void Build_TokenizerNamingNothing_FailsAtStartNamingTheKey(string value)
    {
        using var provider = Build(
            local: new BackendOptions { Name = "ok", Provider = "vllm" },
            cloud: new BackendOptions { Name = "bad", Provider = "openai", Tokenizer = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value);

        Assert.Contains("HybridInference:Cloud:Backends:0:Tokenizer", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(value), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/no/such/dir", error.Message, StringComparison.Ordinal); // the machine's paths stay out
    }

    [Fact]
    public void Build_FileThatIsNoTokenizer_FailsWhenTheClientIsBuiltNamingTheKey()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokens16-{Guid.NewGuid():N}.model");
        File.WriteAllText(path, "this is not a SentencePiece model");
        try
        {
            using var provider = Build(local: new BackendOptions { Name = "spm", Provider = "llamacpp", Tokenizer = path });

            var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());

            Assert.Contains("HybridInference:Local:Backends:0:Tokenizer", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetTempPath(), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("o200k_base")]
    [InlineData("/models/tokenizer.model")]
    public void Build_TokenizerWithoutAddTokenizers_FailsWhenTheClientIsBuiltNamingTheKey(string value)
    {
        var services = new ServiceCollection();
        services.AddHybridInference(o =>
        {
            o.Local.Backends.Add(new BackendOptions { Name = "vllm", Provider = "vllm" });
            o.Local.Backends.Add(new BackendOptions { Name = "llama", Provider = "llamacpp", Tokenizer = value });
        })
            .AddLocalBackend("vllm", _ => new FakeChatClient())
            .AddLocalBackend("llama", _ => new FakeChatClient());
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains("HybridInference:Local:Backends:1:Tokenizer", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddTokenizers()", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData(null)]
    public void TryGetExactCounter_WithoutAddTokenizers_HasNoneAndTheEstimateCounts(string? model)
    {
        var services = new ServiceCollection();
        services.AddHybridInference(o =>
        {
            o.Local.Backends.Add(new BackendOptions { Name = "vllm", Provider = "vllm" });
            o.Cloud.Backends.Add(new BackendOptions { Name = "openai", Provider = "openai", Model = model });
        })
            .AddLocalBackend("vllm", _ => new FakeChatClient())
            .AddCloudBackend("openai", _ => new FakeChatClient());
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IChatClient>(); // builds, though no tokenizer is registered

        var counters = provider.GetRequiredService<ITokenCounterProvider>();

        Assert.False(counters.TryGetExactCounter("vllm", out _));
        Assert.False(counters.TryGetExactCounter("openai", out _));
        Assert.True(provider.GetRequiredService<ITokenCounter>().CountPromptTokens([new(ChatRole.User, Sample)], null) > 0);
    }

    [Fact]
    public void AddTokenizers_SharedEncoding_OneCounterForBothBackends()
    {
        using var provider = Build(
            local: new BackendOptions { Name = "a", Provider = "vllm", Tokenizer = "cl100k_base" },
            cloud: new BackendOptions { Name = "b", Provider = "openai", Model = "gpt-4", Tokenizer = "cl100k_base" });
        var counters = provider.GetRequiredService<ITokenCounterProvider>();

        Assert.True(counters.TryGetExactCounter("a", out var a));
        Assert.True(counters.TryGetExactCounter("b", out var b));
        Assert.Same(a, b);
    }

    private static int Expected(Tokenizer tokenizer) =>
        TokenizerTokenCounter.TokensPerPrompt + TokenizerTokenCounter.TokensPerMessage + tokenizer.CountTokens("user") + tokenizer.CountTokens(Sample);

    private static ServiceProvider Build(BackendOptions? local = null, BackendOptions? cloud = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(o =>
        {
            o.Local.Backends.Add(local ?? new BackendOptions { Name = "local-default", Provider = "vllm" });
            if (cloud is not null)
            {
                o.Cloud.Backends.Add(cloud);
            }
        }).AddTokenizers();
        builder.AddLocalBackend(local?.Name ?? "local-default", _ => new FakeChatClient());
        if (cloud is not null)
        {
            builder.AddCloudBackend(cloud.Name, _ => new FakeChatClient());
        }

        return services.BuildServiceProvider();
    }
}
