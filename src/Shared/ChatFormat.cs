using Microsoft.Extensions.AI;

namespace HybridInference.Tokens;

/// <summary>
/// What a count of a prompt in the chat format adds up, part by part, for <see cref="ChatFormat.CountPromptTokens"/>:
/// the estimate and each tokenizer say what a text costs and what the format adds around it.
/// </summary>
/// <remarks>Implemented by structs, so that the walk is compiled once per counter with every call inlined.</remarks>
internal interface IChatFormatCounter
{
    /// <summary>Gets the tokens that prime the reply.</summary>
    int Priming { get; }

    /// <summary>Gets what the request's instructions add besides their text (they are sent as a system message).</summary>
    int InstructionsOverhead { get; }

    /// <summary>What a message adds besides its contents: its delimiters, its role, its author's name.</summary>
    int Message(ChatMessage message);

    /// <summary>The tokens of a text: a message's, the instructions', a tool's name or description.</summary>
    int Text(string? text);

    /// <summary>The tokens of a tool call: its name and arguments.</summary>
    int Call(FunctionCallContent call);

    /// <summary>The tokens of a tool's result.</summary>
    int Result(FunctionResultContent result);

    /// <summary>The tokens of a tool's parameter schema, as JSON text.</summary>
    int Schema(string json);
}

/// <summary>
/// The one walk over a prompt in the chat format: every message and its text, reasoning, tool calls and results; the
/// instructions; each tool's name, description and schema. Non-text content (images, data) is not counted.
/// </summary>
internal static class ChatFormat
{
    /// <summary>Counts a prompt with <paramref name="counter"/>'s costs.</summary>
    /// <typeparam name="TCounter">The counter (a struct: the walk is specialized and its calls inlined).</typeparam>
    /// <param name="counter">What each part costs.</param>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options, if any.</param>
    /// <returns>The prompt's tokens.</returns>
    public static int CountPromptTokens<TCounter>(TCounter counter, IEnumerable<ChatMessage> messages, ChatOptions? options)
        where TCounter : struct, IChatFormatCounter
    {
        ArgumentNullException.ThrowIfNull(messages);

        var total = counter.Priming;
        if (messages is IList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                total += CountMessage(counter, list[i]);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                total += CountMessage(counter, message);
            }
        }

        if (options is not null)
        {
            if (options.Instructions is { } instructions)
            {
                total += counter.InstructionsOverhead + counter.Text(instructions);
            }

            if (options.Tools is { Count: > 0 } tools)
            {
                for (var i = 0; i < tools.Count; i++)
                {
                    total += counter.Text(tools[i].Name) + counter.Text(tools[i].Description);
                    if (tools[i] is AIFunctionDeclaration function)
                    {
                        total += counter.Schema(function.JsonSchema.GetRawText());
                    }
                }
            }
        }

        return total;
    }

    private static int CountMessage<TCounter>(TCounter counter, ChatMessage message)
        where TCounter : struct, IChatFormatCounter
    {
        var total = counter.Message(message);
        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case TextContent text:
                    total += counter.Text(text.Text);
                    break;
                case TextReasoningContent reasoning:
                    total += counter.Text(reasoning.Text);
                    break;
                case FunctionCallContent call:
                    total += counter.Call(call);
                    break;
                case FunctionResultContent result:
                    total += counter.Result(result);
                    break;
            }
        }

        return total;
    }
}
