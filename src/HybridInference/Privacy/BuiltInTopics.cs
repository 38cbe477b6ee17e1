namespace HybridInference.Privacy;

/// <summary>
/// The topics <c>Privacy:Topics:BuiltIn</c> can switch on by name. Each word or phrase was chosen to name the matter
/// itself, not a word that routine work uses in another sense: "patient" alone is not here (be patient), nor
/// "diagnosis" (of an outage), "prescribed" (format), "termination" (a loop's), "settlement" (a trade's), "symptoms"
/// (of a bug), "redundancy" (of data), "background check" (of a job) or "arbitration" (of a bus); their sensitive
/// uses are listed as phrases instead.
/// </summary>
internal static class BuiltInTopics
{
    public const string Health = "health";
    public const string HumanResources = "hr";
    public const string Legal = "legal";

    /// <summary>The built-in topics' names, in the order they are looked for.</summary>
    public static readonly string[] Names = [Health, HumanResources, Legal];

    private static readonly string[] HealthKeywords =
    [
        "diagnosed with", "medical diagnosis", "differential diagnosis", "diagnosis code*", "misdiagnos*", "prognosis", "medication*", "dosage*", "dosing",
        "prescription*", "pharmacist*", "pharmacy", "patient's", "patient’s",
        "patients", "patients'", "inpatient*", "outpatient*", "patient record*", "patient data", "patient history", "patient id",
        "medical record*", "medical history", "medical condition*", "health record*", "health condition*", "mental health",
        "protected health information", "HIPAA", "ICD-9", "ICD-10", "ICD-11", "ICD code*", "CPT code*", "clinical note*",
        "discharge summary", "symptomatic", "asymptomatic", "presenting symptom*", "adverse reaction*", "side-effect profile",
        "treatment plan*", "chemotherapy", "radiotherapy", "psychotherapy", "psychiatric", "hospitalized", "hospitalised",
        "hospitalization*", "hospitalisation*", "surgery", "insulin", "antibiotic*", "antidepressant*", "opioid*",
        "blood pressure", "blood test*", "lab result*", "biopsy", "tumor*", "tumour*", "cancer", "oncolog*", "diabetes",
        "diabetic", "HIV", "pregnancy", "pregnant", "allergic reaction*",
    ];

    /// <summary>ICD-10 codes with their decimal part (<c>E11.9</c>, <c>J45.909</c>), in capitals only, so that <c>v10.2</c> is no code.</summary>
    private static readonly string[] HealthPatterns = [@"(?-i:\b[A-TW-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}\b)"];

    private static readonly string[] HumanResourcesKeywords =
    [
        "salary", "salaries", "payroll", "pay raise", "pay rise", "pay cut", "compensation package*",
        "total compensation", "performance review*", "performance evaluation*", "performance appraisal*",
        "performance improvement plan*", "disciplinary", "written warning", "final warning", "termination of employment",
        "employment termination", "termination letter", "wrongful termination", "wrongful dismissal", "unfair dismissal",
        "laid off", "layoff*", "made redundant", "redundancy pay", "severance", "grievance*", "harassment",
        "misconduct", "probationary period", "personnel file*", "employee record*", "employee relations", "exit interview*",
        "criminal background check*", "employment background check*", "sick leave", "medical leave", "maternity leave", "paternity leave", "parental leave",
        "garnishment", "whistleblow*",
    ];

    private static readonly string[] LegalKeywords =
    [
        "attorney-client", "attorney–client", "attorney client privilege", "legal privilege", "legally privileged",
        "privileged and confidential", "attorney*", "lawyer*", "legal counsel", "opposing counsel", "outside counsel",
        "litigation", "litigat*", "lawsuit*", "settlement agreement*", "settlement offer*", "settlement negotiation*",
        "out-of-court settlement", "subpoena*", "affidavit*", "plaintiff*", "defendant*", "deposition transcript*",
        "cease and desist", "cease-and-desist", "court order*", "restraining order*", "injunction*", "indictment*",
        "indicted", "legal hold", "e-discovery", "ediscovery", "breach of contract", "class action", "arbitration clause",
        "binding arbitration", "non-disclosure agreement*", "law firm*", "legal advice",
    ];

    /// <summary>United States federal docket numbers, such as <c>1:21-cv-01234</c>.</summary>
    private static readonly string[] LegalPatterns = [@"\b[0-9]{1,2}:[0-9]{2}-(?:cv|cr|bk|mc)-[0-9]{3,6}\b"];

    /// <summary>Gets the keywords and patterns of a built-in topic.</summary>
    /// <param name="name">The topic's name, in any case.</param>
    /// <returns>Its set; <see langword="null"/> when there is no built-in topic of that name.</returns>
    public static (string Name, string[] Keywords, string[] Patterns)? Find(string? name) => name?.Trim().ToUpperInvariant() switch
    {
        "HEALTH" => (Health, HealthKeywords, HealthPatterns),
        "HR" => (HumanResources, HumanResourcesKeywords, []),
        "LEGAL" => (Legal, LegalKeywords, LegalPatterns),
        _ => null,
    };
}
