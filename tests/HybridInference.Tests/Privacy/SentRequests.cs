using System.Text.Encodings.Web;
using System.Text.Json;

namespace HybridInference.Tests.Privacy;

/// <summary>
/// Requests with one piece of personal data in one of the places a wire writer sends, and a dump of everything a
/// request holds, to check that personal data is gone from what reaches the cloud.
/// </summary>
internal static class SentRequests
{
    /// <summary>Every place a request's text travels in, each with the secret put there.</summary>
    public static readonly Dictionary<string, string> Secrets = new(StringComparer.Ordinal)
    {
        ["instructions"] = "ada@example.com",
        ["system-message"] = "4111 1111 1111 1111",
        ["author-name"] = "ada@example.com",
        ["text-split-over-two-contents"] = "ada@example.com",
        ["reasoning"] = "DE89 3704 0044 0532 0130 00",
        ["tool-call-arguments"] = "bob@example.org",
        ["tool-call-id"] = "frank@example.com",
        ["tool-call-nested-arguments"] = "+44 20 7946 0958",
        ["tool-call-number-argument"] = "4111111111111111",
        ["tool-call-argument-name"] = "eve@example.net",
        ["tool-result-string"] = "carol@example.com",
        ["tool-result-json-string"] = "carol@example.com",
        ["tool-result-json-object"] = "123-45-6789",
        ["tool-result-object"] = "dave@example.com",
        ["tool-result-list"] = "GB82WEST12345698765432",
        ["uri"] = "ada@example.com",
        ["uri-percent-encoded"] = "ada@example.com",
        ["text-data"] = "ada@example.com",
        ["data-name"] = "ada@example.com",
        ["tool-name"] = "123-45-6789", // a tool name may hold only letters, digits, '_' and '-' (RequestGuard)
        ["tool-description"] = "ada@example.com",
        ["tool-schema-description"] = "4111 1111 1111 1111",
        ["tool-schema-enum"] = "ada@example.com",
        ["response-schema"] = "ada@example.com",
        ["response-schema-description"] = "ada@example.com",
        ["stop-sequence"] = "ada@example.com",
        ["required-tool-name"] = "123-45-6789",
    };

    private static readonly JsonSerializerOptions Relaxed = new(AIJsonUtilities.DefaultOptions) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static TheoryData<string> Places() => [.. Secrets.Keys];

    /// <summary>
    /// The places a request through the whole chain can hold: all but text attachments (<c>text/csv</c> data), which
    /// the chain refuses before anything is sent because no backend's writer takes them (see BadInputTests); the
    /// walker still scans them (SentTextTests), for a backend registered by code that does.
    /// </summary>
    public static TheoryData<string> PlacesTheChainSends() => [.. Secrets.Keys.Where(place => place != "text-data")];

    /// <summary>A request (complex, so that the rules send it to the cloud) with <see cref="Secrets"/>[<paramref name="place"/>] in that place.</summary>
    public static (List<ChatMessage> Messages, ChatOptions Options) Build(string place) => Build(place, Secrets[place]);

    /// <summary>A request (complex) with <paramref name="secret"/> in <paramref name="place"/> (a word, where the place holds one: not in a number argument).</summary>
    public static (List<ChatMessage> Messages, ChatOptions Options) Build(string place, string secret)
    {
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
        var messages = new List<ChatMessage> { new(ChatRole.User, "Plan the refund.") };
        var schema = Json("""{"type":"object","properties":{"id":{"type":"string"}}}""", secret);
        switch (place)
        {
            case "instructions":
                options.Instructions = $"The customer is {secret}.";
                break;
            case "system-message":
                messages.Insert(0, new ChatMessage(ChatRole.System, $"The customer's card is {secret}."));
                break;
            case "author-name":
                messages[0].AuthorName = secret;
                break;
            case "text-split-over-two-contents":
                messages[0] = new ChatMessage(ChatRole.User, [new TextContent($"Mail {secret[..(secret.Length / 2)]}"), new TextContent($"{secret[(secret.Length / 2)..]} the plan.")]);
                break;
            case "reasoning":
                messages.Add(new ChatMessage(ChatRole.Assistant, [new TextReasoningContent($"The IBAN is {secret}."), new TextContent("Done.")]));
                break;
            case "tool-call-id":
                messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{secret}", "crm_lookup", new Dictionary<string, object?> { ["id"] = "42" })]));
                messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"call-{secret}", "found")]));
                break;
            case "tool-call-arguments":
                AddToolTurn(messages, new Dictionary<string, object?> { ["to"] = secret }, "sent");
                break;
            case "tool-call-nested-arguments":
                AddToolTurn(messages, new Dictionary<string, object?> { ["contact"] = new { phones = new[] { secret } } }, "sent");
                break;
            case "tool-call-number-argument":
                AddToolTurn(messages, new Dictionary<string, object?> { ["card"] = 4111111111111111L }, "charged");
                break;
            case "tool-call-argument-name":
                AddToolTurn(messages, new Dictionary<string, object?> { [secret] = "vip" }, "ok");
                break;
            case "tool-result-string":
                AddToolTurn(messages, new Dictionary<string, object?> { ["id"] = "42" }, $"The customer's e-mail is {secret}.");
                break;
            case "tool-result-json-string":
                AddToolTurn(messages, new Dictionary<string, object?> { ["id"] = "42" }, JsonSerializer.SerializeToElement(secret));
                break;
            case "tool-result-json-object":
                AddToolTurn(messages, new Dictionary<string, object?> { ["id"] = "42" }, Json("""{"customer":{"ssn":"SECRET"}}""", secret));
                break;
            case "tool-result-object":
                AddToolTurn(messages, new Dictionary<string, object?> { ["id"] = "42" }, new Customer("Dave", secret));
                break;
            case "tool-result-list":
                AddToolTurn(messages, new Dictionary<string, object?> { ["id"] = "42" }, new List<string> { "paid", secret });
                break;
            case "uri":
                messages[0].Contents.Add(new UriContent(new Uri($"https://crm.example/customers?email={secret}"), "image/png"));
                break;
            case "uri-percent-encoded":
                messages[0].Contents.Add(new UriContent(new Uri("https://crm.example/customers?email=ada%40example.com"), "image/png"));
                break;
            case "text-data":
                messages[0].Contents.Add(new DataContent(System.Text.Encoding.UTF8.GetBytes($"name,email\nAda,{secret}\n"), "text/csv"));
                break;
            case "data-name":
                messages[0].Contents.Add(new DataContent(new byte[] { 1, 2, 3 }, "image/png") { Name = $"{secret}.png" });
                break;
            case "tool-name":
                options.Tools = [AIFunctionFactory.CreateDeclaration(secret, "Looks a customer up.", schema)];
                break;
            case "tool-description":
                options.Tools = [AIFunctionFactory.CreateDeclaration("lookup", $"Looks up {secret}.", schema)];
                break;
            case "tool-schema-description":
                options.Tools = [AIFunctionFactory.CreateDeclaration("charge", "Charges a card.", Json(
                    """{"type":"object","properties":{"card":{"type":"string","description":"e.g. SECRET"}}}""", secret))];
                break;
            case "tool-schema-enum":
                options.Tools = [AIFunctionFactory.CreateDeclaration("mail", "Mails someone.", Json(
                    """{"type":"object","properties":{"to":{"enum":["SECRET","x"]}}}""", secret))];
                break;
            case "response-schema":
                options.ResponseFormat = ChatResponseFormat.ForJsonSchema(Json(
                    """{"type":"object","properties":{"email":{"const":"SECRET"}}}""", secret), "person");
                break;
            case "response-schema-description":
                options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "person", $"The record of {secret}.");
                break;
            case "stop-sequence":
                options.StopSequences = [secret];
                break;
            case "required-tool-name":
                options.Tools = [AIFunctionFactory.CreateDeclaration(secret, "Looks a customer up.", schema)];
                options.ToolMode = ChatToolMode.RequireSpecific(secret);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(place), place, "No such place.");
        }

        return (messages, options);
    }

    /// <summary>Everything the messages and options hold that a writer could send, as one string (JSON, not escaped beyond need).</summary>
    public static string Dump(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var parts = new List<string> { JsonSerializer.Serialize(messages.ToList(), Relaxed) };
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                parts.Add(content switch
                {
                    UriContent uri => Uri.UnescapeDataString(uri.Uri.ToString()),
                    DataContent data when data.MediaType.StartsWith("text/", StringComparison.Ordinal) => System.Text.Encoding.UTF8.GetString(data.Data.Span),
                    _ => string.Empty,
                });
            }

            parts.Add(message.Text);
        }

        if (options is not null)
        {
            parts.Add(options.Instructions ?? string.Empty);
            parts.AddRange(options.StopSequences ?? []);
            foreach (var tool in options.Tools ?? [])
            {
                parts.Add(tool.Name);
                parts.Add(tool.Description);
                if (tool is AIFunctionDeclaration function)
                {
                    parts.Add(JsonSerializer.Serialize(function.JsonSchema, Relaxed));
                }
            }

            if (options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } required })
            {
                parts.Add(required);
            }

            if (options.ResponseFormat is ChatResponseFormatJson json)
            {
                parts.Add(json.SchemaName ?? string.Empty);
                parts.Add(json.SchemaDescription ?? string.Empty);
                parts.Add(json.Schema is { } s ? JsonSerializer.Serialize(s, Relaxed) : string.Empty);
            }
        }

        return string.Join('\n', parts);
    }

    private static JsonElement Json(string json, string secret) =>
        JsonDocument.Parse(json.Replace("SECRET", secret, StringComparison.Ordinal)).RootElement.Clone();

    private static void AddToolTurn(List<ChatMessage> messages, Dictionary<string, object?> arguments, object? result)
    {
        messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "crm_lookup", arguments)]));
        messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call-1", result)]));
    }

    public sealed record Customer(string Name, string Email);
}
