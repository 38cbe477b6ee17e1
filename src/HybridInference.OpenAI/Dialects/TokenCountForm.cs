namespace HybridInference.OpenAI.Dialects;

/// <summary>How a server counts a prompt's tokens on request (the wire forms are sourced in the test fixtures' <c>tokenize.md</c>).</summary>
internal enum TokenCountForm
{
    /// <summary>It has no tokenize endpoint (Ollama, MLX, OpenAI, a generic server).</summary>
    None,

    /// <summary>
    /// vLLM: <c>POST /tokenize</c> with the chat (<c>model</c>, <c>messages</c>, <c>tools</c>,
    /// <c>add_generation_prompt</c>) applies the model's chat template and answers <c>count</c>: the whole chat, exactly.
    /// </summary>
    VllmChat,

    /// <summary>
    /// TGI: <c>POST /chat_tokenize</c> with a chat request applies the chat template and answers
    /// <c>tokenize_response</c>, one entry per token: the whole chat, exactly.
    /// </summary>
    TgiChat,

    /// <summary>
    /// llama.cpp: <c>POST /tokenize</c> <c>{content, add_special}</c> answers <c>{"tokens": [...]}</c> for one text; each
    /// message's text is counted (once per text) and the chat template's tokens are measured once with
    /// <c>POST /apply-template</c> on probe conversations.
    /// </summary>
    LlamaCppText,

    /// <summary>
    /// LocalAI: <c>POST /v1/tokenize</c> <c>{model, content}</c> answers <c>{"tokens": [...]}</c> for one text; each
    /// message's text is counted (once per text) and the template's tokens are assumed, since LocalAI renders none on request.
    /// </summary>
    LocalAIText,
}
