# Coachdesk production image: gunicorn serves the web app; the same image runs worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 coachdesk

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install . && rm -rf build

COPY . .
# collectstatic needs some settings to import; real values come from the environment at run time.
RUN SECRET_KEY=build-only-secret-key-that-is-long-enough-for-the-production-check-000 \
    python manage.py collectstatic --noinput

USER coachdesk
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
