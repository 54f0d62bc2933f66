"""Application services: where storage, decks and the engine meet, one transaction per command."""

from .exercises import CreatedExercise, ExerciseService, Identity

__all__ = ["CreatedExercise", "ExerciseService", "Identity"]
