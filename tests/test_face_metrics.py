import pytest
import torch

import ganlab
from ganlab import face_metrics


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """The quick classifier, trained once into a temporary data folder (a few seconds)."""
    root = tmp_path_factory.mktemp("data")
    return root, face_metrics.attribute_classifier(root, quick=True, verbose=False)


@pytest.fixture(scope="module")
def faces():
    return ganlab.data.synthetic_faces(400, size=64, seed=123).tensors  # unseen by training


def test_face_metrics_classifier_reads_every_attribute(cached, faces):
    _, clf = cached
    accuracy = face_metrics.attribute_accuracy(*faces, clf)
    assert list(accuracy.index) == list(ganlab.data.FACE_ATTRIBUTES)
    assert (accuracy > 0.9).all(), accuracy
    assert set(clf.accuracy) == set(ganlab.data.FACE_ATTRIBUTES)  # held-out accuracy is recorded
    assert min(clf.accuracy.values()) > 0.9


def test_face_metrics_cache_reloads_the_same_model(cached, faces):
    root, clf = cached
    assert (root / "face_attributes_quick.pt").exists()
    torch.load(root / "face_attributes_quick.pt", weights_only=True)  # safe to load
    again = face_metrics.attribute_classifier(root, quick=True, verbose=False)
    torch.testing.assert_close(face_metrics.predict_attributes(faces[0][:50], again),
                               face_metrics.predict_attributes(faces[0][:50], clf))
    assert again.accuracy == clf.accuracy


def test_face_metrics_rates_follow_the_labels(cached, faces):
    _, clf = cached
    images, attrs = faces
    k = list(clf.attributes).index("eyeglasses")
    with_glasses = face_metrics.attribute_rates(images[attrs[:, k] == 1], clf)
    without = face_metrics.attribute_rates(images[attrs[:, k] == 0], clf)
    assert with_glasses["eyeglasses"] > 0.9 and without["eyeglasses"] < 0.1
    # the other attributes are independent coins: their rates match the label means
    rates = face_metrics.attribute_rates(images, clf)
    torch.testing.assert_close(torch.tensor(rates.to_numpy()), attrs.mean(0), atol=0.05, rtol=0)


def test_face_metrics_accepts_other_image_sizes(cached):
    _, clf = cached
    images, attrs = ganlab.data.synthetic_faces(200, size=32, seed=7).tensors
    assert (face_metrics.attribute_accuracy(images, attrs, clf) > 0.85).all()


def test_face_metrics_retrains_when_the_stand_in_changes(cached, tmp_path, monkeypatch):
    _, clf = cached
    monkeypatch.setitem(face_metrics.QUICK, "n_train", 100)  # retraining only has to happen
    state = {"weights": clf.state_dict(), "attributes": clf.attributes,
             "accuracy": {a: -1.0 for a in clf.attributes}, "fingerprint": torch.zeros(1)}
    torch.save(state, tmp_path / "face_attributes_quick.pt")  # a stale cache
    fresh = face_metrics.attribute_classifier(tmp_path, quick=True, verbose=False)
    assert min(fresh.accuracy.values()) > 0.0  # retrained, not the stale numbers
