using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace HybridInference.Engine.Tests;

/// <summary>
/// Middleware around the local backend (<c>ConfigureBackend</c>) that keeps what the real server answered to each
/// attempt, before the chain validates it: its text and finish reason, or the exception.
/// </summary>
internal sealed class Recorder
{
    public ConcurrentQueue<(string Text, ChatFinishReason? Finish, Exception? Error)> Answers { get; } = new();

    /// <summary>Gets the last message of each request the backend was sent.</summary>
    public ConcurrentQueue<string> Prompts { get; } = new();

    public void AddTo(ChatClientBuilder backend) => backend.Use(inner => new RecordingClient(inner, this));

    private sealed class RecordingClient(IChatClient inner, Recorder recorder) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            recorder.Prompts.Enqueue(messages.LastOrDefault()?.Text ?? string.Empty);
            try
            {
                var response = await base.GetResponseAsync(messages, options, cancellationToken);
                recorder.Answers.Enqueue((response.Text, response.FinishReason, null));
                return response;
            }
            catch (Exception e)
            {
                recorder.Answers.Enqueue((string.Empty, null, e));
                throw;
            }
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            recorder.Prompts.Enqueue(messages.LastOrDefault()?.Text ?? string.Empty);
            var text = new System.Text.StringBuilder();
            ChatFinishReason? finish = null;
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                text.Append(update.Text);
                finish = update.FinishReason ?? finish;
                yield return update;
            }

            recorder.Answers.Enqueue((text.ToString(), finish, null));
        }
    }
}
