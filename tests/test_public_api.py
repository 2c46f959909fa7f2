"""The public surface is what we mean it to be (httpx's test_exported_members, in spirit)."""

import verifiers

EXPECTED = {
    "BackendUnavailable", "Completion", "ConfigError", "Fault", "InfrastructureError",
    "InputError", "MathAccuracy", "MathConfig", "Message", "ProcessPool", "Ray", "Reward", "RewardConfig",
    "RewardFunction", "BaseReward", "AsyncReward", "RemoteConfig", "RemoteReward",
    "SandboxError", "Serial", "Status", "UnknownRewardError", "Verdict", "VerifiersError",
    "WorkerCrashed", "__version__", "accuracy_reward", "get_reward",
    "Gated", "WeightedSum", "Router", "ModelConfig", "ModelReward",
    "CosineLength", "KimiLength", "SoftOverlong", "cosine_length_reward", "kimi_length_reward", "overlong_reward",
    "RepetitionPenalty", "repetition_penalty_reward",
    "LanguageConsistency", "language_consistency_reward",
    "CodeConfig", "CodeReward", "code_reward",
    "FormatReward", "TagCountReward", "ThinkFormatReward", "format_reward", "tag_count_reward", "think_format_reward",
    "ChoiceConfig", "ChoiceReward", "choice_reward", "CountdownConfig", "CountdownReward", "countdown_reward",
    "KnightsConfig", "KnightsKnaves", "knights_knaves_reward",
}


def test_all_is_exactly_the_public_surface():
    assert set(verifiers.__all__) == EXPECTED
    for name in verifiers.__all__:
        assert hasattr(verifiers, name), name


def test_all_is_sorted():
    assert list(verifiers.__all__) == sorted(verifiers.__all__)


def test_public_names_have_docstrings():
    for name in verifiers.__all__:
        obj = getattr(verifiers, name)
        if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__module__") and name[0].islower()):
            assert (obj.__doc__ or "").strip(), name
