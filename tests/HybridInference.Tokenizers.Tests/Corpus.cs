namespace HybridInference.Tokenizers.Tests;

/// <summary>The texts of TestData/tokens (see its SOURCE.md): each as its kind and the messages it is sent as.</summary>
internal static class Corpus
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "TestData", "tokens");

    public static IReadOnlyList<(string Name, string Kind, List<ChatMessage> Messages)> Load()
    {
        var texts = new List<(string, string, List<ChatMessage>)>();
        foreach (var path in System.IO.Directory.GetFiles(Directory, "*.txt").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var kind = name[..name.IndexOf('.', StringComparison.Ordinal)];
            var text = File.ReadAllText(path);
            texts.Add((name, kind, kind == "chat" ? ParseChat(text) : [new ChatMessage(ChatRole.User, text)]));
        }

        return texts;
    }

    /// <summary>A <c>### role</c> line starts a message of that role; the lines up to the next are its text.</summary>
    private static List<ChatMessage> ParseChat(string text)
    {
        var messages = new List<ChatMessage>();
        foreach (var block in text.Split("### ", StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = block.IndexOf('\n', StringComparison.Ordinal);
            messages.Add(new ChatMessage(new ChatRole(block[..newline]), block[(newline + 1)..].TrimEnd('\n')));
        }

        return messages;
    }

    /// <summary>Each corpus text (a chat: its messages) alone and repeated 3, 9 and 27 times, as one prompt.</summary>
    public static IEnumerable<(string Name, int Times, List<ChatMessage> Prompt)> Prompts()
    {
        foreach (var (name, _, messages) in Load())
        {
            foreach (var times in new[] { 1, 3, 9, 27 })
            {
                yield return (name, times, Enumerable.Repeat(messages, times).SelectMany(m => m).Select(m => new ChatMessage(m.Role, m.Text)).ToList());
            }
        }
    }
}
